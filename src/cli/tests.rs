use clap::CommandFactory;

#[test]
fn every_command_has_examples_and_every_option_and_argument_a_description() {
    let cli = super::Cli::command();
    for command in cli.get_subcommands() {
        let name = command.get_name();
        let examples = command.get_after_help().map(|h| h.to_string());
        assert!(
            examples.is_some_and(|h| h.matches("\n  mig ").count() >= 2),
            "mig {name} --help has no examples"
        );
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || matches!(id, "help" | "version") {
                continue;
            }
            assert!(
                arg.get_help().is_some(),
                "mig {name}: {id} has no description"
            );
        }
    }
}

#[test]
fn each_command_lists_only_the_options_it_uses() {
    let mut cli = super::Cli::command();
    cli.build(); // propagates the global options to every command
    let options = |name: &str| -> Vec<String> {
        cli.find_subcommand(name)
            .unwrap()
            .get_arguments()
            .filter_map(|a| a.get_long().map(String::from))
            .collect()
    };
    for offline in ["validate", "new", "schema", "completions", "man"] {
        let list = options(offline);
        assert!(!list.contains(&"uri".to_string()), "{offline}: {list:?}");
        assert!(!list.contains(&"tenant".to_string()), "{offline}: {list:?}");
    }
    assert!(!options("history").contains(&"manifests".to_string()));
    assert!(options("plan").contains(&"tenant".to_string()));
    assert!(options("plan").contains(&"format".to_string()));
}
