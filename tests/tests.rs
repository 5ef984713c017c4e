//! Scenario tests of Industrivej, in one test binary (as ripgrep does).

// A failed unwrap is a failed test here, with the reason in the panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod crash;
mod discovery;
mod e2e;
mod hostile;
mod lan;
mod merge;
mod postgres;
mod relay;
mod relay_hosts;
mod support;
mod sync;
mod webdriver;
