//! `preflight assets list [--group-id ID] [--status S]`, `preflight assets get ID`

use super::api::{self, ApiArgs, ListFormat};
use super::output::sanitize;
use clap::{Args, Subcommand};
use preflight_api::upload::{asset_uri, Asset, AssetFilter};
use serde_json::Value;

#[derive(Args, Debug)]
pub struct AssetsArgs {
    #[command(subcommand)]
    command: AssetsCommand,
}

#[derive(Subcommand, Debug)]
enum AssetsCommand {
    /// List assets (all pages), optionally of one group or status.
    List {
        /// Only assets of this group (repeatable).
        #[arg(long, value_name = "ID")]
        group_id: Vec<String>,
        /// Only assets in this status: Processing, Active or Failed (repeatable,
        /// any case).
        #[arg(long, value_name = "S", value_parser = parse_status)]
        status: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Show one asset.
    Get {
        /// The asset id (`asset-…` or `asset://asset-…`).
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        api: ApiArgs,
    },
}

pub fn run(args: AssetsArgs) -> u8 {
    match args.command {
        AssetsCommand::List {
            group_id,
            status,
            format,
            api,
        } => list(group_id, status, format, &api),
        AssetsCommand::Get { id, format, api } => get(&id, format, &api),
    }
}

/// `--status`: one of the service's statuses, in any case, spelt as the
/// service spells it (an unknown one is a usage error, not "0 assets").
fn parse_status(s: &str) -> Result<String, String> {
    ["Processing", "Active", "Failed"]
        .into_iter()
        .find(|st| st.eq_ignore_ascii_case(s))
        .map(String::from)
        .ok_or_else(|| format!("{s:?} is not a status (Processing, Active or Failed)"))
}

fn list(group_ids: Vec<String>, statuses: Vec<String>, format: ListFormat, api: &ApiArgs) -> u8 {
    let client = match api.client() {
        Ok(c) => c,
        Err(u) => return api::usage(u),
    };
    let mut filter = AssetFilter::new();
    filter.group_ids = group_ids;
    filter.statuses = statuses;
    let assets = match client.list_assets(&filter) {
        Ok(a) => a,
        Err(e) => return api::fail(&e),
    };
    if format == ListFormat::Json {
        return api::print_json(&assets);
    }
    let w = |f: fn(&Asset) -> usize, min: usize| assets.iter().map(f).max().unwrap_or(0).max(min);
    let wid = w(|a| a.id.chars().count(), 2);
    let wst = w(|a| a.status.as_str().chars().count(), 6);
    let wty = w(|a| a.asset_type.chars().count(), 4);
    let wgr = w(|a| a.group_id.chars().count(), 5);
    let mut lines = vec![format!(
        "{:wid$}  {:wst$}  {:wty$}  {:wgr$}  NAME",
        "ID", "STATUS", "TYPE", "GROUP"
    )];
    for a in &assets {
        lines.push(format!(
            "{:wid$}  {:wst$}  {:wty$}  {:wgr$}  {}",
            sanitize(&a.id),
            sanitize(a.status.as_str()),
            sanitize(&a.asset_type),
            sanitize(&a.group_id),
            sanitize(&a.name)
        ));
    }
    lines.push(format!(
        "{} asset{}",
        assets.len(),
        if assets.len() == 1 { "" } else { "s" }
    ));
    api::print_lines(&lines)
}

fn get(id: &str, format: ListFormat, api: &ApiArgs) -> u8 {
    let client = match api.client() {
        Ok(c) => c,
        Err(u) => return api::usage(u),
    };
    let id = id.strip_prefix("asset://").unwrap_or(id);
    let a = match client.get_asset(id) {
        Ok(a) => a,
        Err(e) => return api::fail(&e),
    };
    if format == ListFormat::Json {
        return api::print_json(&a);
    }
    let mut lines = vec![
        format!("Id          {}", sanitize(&a.id)),
        format!("Reference   {}", sanitize(&asset_uri(&a.id))),
        format!("Name        {}", sanitize(&a.name)),
        format!("Status      {}", sanitize(a.status.as_str())),
        format!("AssetType   {}", sanitize(&a.asset_type)),
        format!("GroupId     {}", sanitize(&a.group_id)),
    ];
    if let Some(u) = &a.url {
        lines.push(format!("URL         {}", sanitize(u)));
    }
    for (k, v) in &a.extra {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        lines.push(format!("{:11} {}", sanitize(k), sanitize(&v)));
    }
    api::print_lines(&lines)
}

#[cfg(test)]
mod tests {
    #[test]
    fn statuses_are_validated_in_any_case() {
        assert_eq!(super::parse_status("active").as_deref(), Ok("Active"));
        assert_eq!(super::parse_status("FAILED").as_deref(), Ok("Failed"));
        assert!(super::parse_status("Bogus").is_err());
    }
}
