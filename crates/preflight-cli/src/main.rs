//! The `preflight` command line: argument parsing and output only; the
//! library does the work.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    cli::run()
}
