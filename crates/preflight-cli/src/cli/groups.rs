//! `preflight groups list`

use super::api::{self, ApiArgs, ListFormat};
use super::output::sanitize;
use clap::{Args, Subcommand};
use preflight_api::upload::strip_group_prefix;

#[derive(Args, Debug)]
pub struct GroupsArgs {
    #[command(subcommand)]
    command: GroupsCommand,
}

#[derive(Subcommand, Debug)]
enum GroupsCommand {
    /// List every asset group (all pages).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
}

pub fn run(args: GroupsArgs) -> u8 {
    let GroupsCommand::List { format, api } = args.command;
    let client = match api.client() {
        Ok(c) => c,
        Err(u) => return api::usage(u),
    };
    let groups = match client.list_groups() {
        Ok(g) => g,
        Err(e) => return api::fail(&e),
    };
    if format == ListFormat::Json {
        return api::print_json(&groups);
    }
    let width = groups
        .iter()
        .map(|g| g.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut lines = vec![format!("{:width$}  NAME", "ID")];
    for g in &groups {
        let name = strip_group_prefix(&g.name).unwrap_or(&g.name);
        lines.push(format!("{:width$}  {}", sanitize(&g.id), sanitize(name)));
    }
    lines.push(format!(
        "{} group{}",
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    ));
    api::print_lines(&lines)
}
