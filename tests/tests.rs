//! Scenario tests of Industrivej, in one test binary (as ripgrep does).

mod cli;
mod crash;
mod merge;
mod support;
