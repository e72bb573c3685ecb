//! `preflight profiles [show NAME]`: the built-in catalogue (SPEC §8).

use super::api::print_lines;
use super::exit;
use super::output::sanitize;
use clap::{Args, Subcommand};
use preflight::Profile;

#[derive(Args, Debug)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    command: Option<ProfilesCommand>,
}

#[derive(Subcommand, Debug)]
enum ProfilesCommand {
    /// List the built-in profiles: name, date checked, title and source (the default).
    List,
    /// Print one profile as TOML, every field named (a starting point for a custom profile).
    Show {
        /// A built-in name, or a path to a .toml file.
        name: String,
    },
}

pub fn run(args: ProfilesArgs) -> u8 {
    match args.command.unwrap_or(ProfilesCommand::List) {
        ProfilesCommand::List => list(),
        ProfilesCommand::Show { name } => show(&name),
    }
}

fn list() -> u8 {
    let profiles: Vec<Profile> = Profile::BUILTIN
        .iter()
        .filter_map(|n| Profile::builtin(n))
        .collect();
    let width = profiles.iter().map(|p| p.name.len()).max().unwrap_or(4);
    let mut lines = vec![format!("{:width$}  CHECKED  TITLE / SOURCE", "NAME")];
    for p in &profiles {
        lines.push(format!(
            "{:width$}  {:7}  {}",
            p.name,
            p.checked,
            sanitize(&p.title)
        ));
        lines.push(format!("{:width$}  {:7}  {}", "", "", sanitize(&p.source)));
    }
    lines.push(format!(
        "{} profiles; `preflight profiles show NAME` prints one as TOML",
        profiles.len()
    ));
    print_lines(&lines)
}

fn show(name: &str) -> u8 {
    let text = Profile::from_name_or_path(name).and_then(|p| p.to_toml());
    match text {
        Ok(t) => print_lines(&[t.trim_end().to_string()]),
        Err(e) => {
            eprintln!("preflight: {}", sanitize(&e.to_string()));
            exit::USAGE
        }
    }
}
