fn main() {
    industrivej_frontend::start();
}
