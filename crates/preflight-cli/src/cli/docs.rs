//! `preflight completions SHELL` and `preflight man`: generated from the
//! same clap definition as the parser (clap_complete, clap_mangen).

use super::exit;
use super::output::is_broken_pipe;
use clap::Args;
use clap_complete::Shell;
use std::io::{self, Write};

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {}

fn finish(r: io::Result<()>) -> u8 {
    match r {
        Ok(()) => exit::PASS,
        Err(e) if is_broken_pipe(&e) => exit::PASS,
        Err(e) => {
            eprintln!("preflight: cannot write output: {e}");
            exit::FAIL
        }
    }
}

/// Prints the completion script for `args.shell` on stdout.
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> u8 {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "preflight", &mut buf);
    let mut out = io::stdout().lock();
    finish(out.write_all(&buf).and_then(|_| out.flush()))
}

/// Prints the man page: `preflight(1)`, then one section per command
/// (`preflight-check(1)`, …) in the same document.
pub fn man(_args: ManArgs, cmd: clap::Command) -> u8 {
    let mut buf = Vec::new();
    let r = render(&cmd, "", &mut buf);
    if let Err(e) = r {
        return finish(Err(e));
    }
    let mut out = io::stdout().lock();
    finish(out.write_all(&buf).and_then(|_| out.flush()))
}

fn render(cmd: &clap::Command, prefix: &str, buf: &mut Vec<u8>) -> io::Result<()> {
    let name = if prefix.is_empty() {
        cmd.get_name().to_string()
    } else {
        format!("{prefix}-{}", cmd.get_name())
    };
    let page = cmd.clone().display_name(name.clone());
    let man = clap_mangen::Man::new(page).title(name.clone());
    man.render(buf)?;
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        render(sub, &name, buf)?;
    }
    Ok(())
}
