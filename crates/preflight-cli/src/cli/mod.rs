//! Command-line front end: clap arguments → library calls → exit code.

mod api;
mod assets;
mod check;
mod fix;
mod generate;
mod groups;
mod output;
mod profiles;
mod request;
mod task;
mod upload;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes of SPEC §3.
pub mod exit {
    /// Every checked file passes.
    pub const PASS: u8 = 0;
    /// At least one file fails or errors.
    pub const FAIL: u8 = 1;
    /// Usage error, or nothing could be checked.
    pub const USAGE: u8 = 2;
}

#[derive(Parser, Debug)]
#[command(
    name = "preflight",
    version,
    about = "Check media against the Seedance 2.0 asset-library limits, repair it, upload it.",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check files and folders (recursively) against a profile.
    Check(check::CheckArgs),
    /// Write repaired copies of failing files into a folder, and re-check them.
    Fix(fix::FixArgs),
    /// Check, then upload what passes to an asset group; prints `path → asset://ID`.
    Upload(upload::UploadArgs),
    /// Asset groups of the service.
    Groups(groups::GroupsArgs),
    /// Assets of the service.
    Assets(assets::AssetsArgs),
    /// Check a bundle of references against the request rules and print its `content` array.
    Request(request::RequestArgs),
    /// Submit a generation task from a checked bundle, wait for it, and save the video.
    Generate(generate::GenerateArgs),
    /// Generation tasks: `get ID` prints one, `wait ID` waits and saves its video.
    Task(task::TaskArgs),
    /// The built-in profiles (other services' limits); `show NAME` prints one as TOML.
    Profiles(profiles::ProfilesArgs),
}

/// Parses the arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::PASS
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Upload(args) => upload::run(args),
        Command::Groups(args) => groups::run(args),
        Command::Assets(args) => assets::run(args),
        Command::Request(args) => request::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Task(args) => task::run(args),
        Command::Profiles(args) => profiles::run(args),
    };
    ExitCode::from(code)
}
