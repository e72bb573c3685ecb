//! Command-line front end: clap arguments → library calls → exit code.

mod api;
mod assets;
mod check;
mod docs;
pub mod exit_codes;
mod fix;
mod generate;
mod groups;
mod help;
mod output;
mod paths;
mod profiles;
mod remote;
mod remote_fix;
mod remote_upload;
mod request;
mod task;
mod upload;

/// The exit codes under the name the commands use (`exit::USAGE`).
pub use exit_codes as exit;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "preflight",
    version,
    about = "Check media against the Seedance 2.0 asset-library limits, repair it, upload it.",
    propagate_version = true
)]
struct Cli {
    /// When to colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = output::ColorChoice::Auto,
        value_name = "WHEN"
    )]
    color: output::ColorChoice,
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
    #[command(group(
        clap::ArgGroup::new("target")
            .args(["group", "group_id"])
            .required(true)
    ))]
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
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff) of preflight and its commands.
    Man(docs::ManArgs),
}

/// The whole command line as clap sees it, with the examples of `--help`.
pub fn command() -> clap::Command {
    help::decorate(Cli::command())
}

/// Parses the arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = match command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
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
    output::init_color(cli.color);
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
        Command::Completions(args) => docs::completions(args, command()),
        Command::Man(args) => docs::man(args, command()),
    };
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        command().debug_assert();
    }

    fn leaves(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands() {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            leaves(sub, p, out);
        }
    }

    #[test]
    fn every_command_has_examples() {
        let root = command();
        let mut all = Vec::new();
        leaves(&root, Vec::new(), &mut all);
        for path in all {
            if path.last().is_some_and(|n| n == "help") {
                continue;
            }
            let mut cmd = &root;
            for name in &path {
                cmd = cmd.find_subcommand(name).unwrap();
            }
            let help = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(help.contains("Examples:"), "{path:?} has no examples");
            assert!(help.contains("Exit codes:"), "{path:?} lists no exit codes");
        }
    }
}
