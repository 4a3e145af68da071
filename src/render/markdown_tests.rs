use super::*;

#[test]
fn code_spans_survive_backticks_and_table_pipes() {
    assert_eq!(code("ix_a"), "`ix_a`");
    assert_eq!(code("a|b"), "`a\\|b`");
    assert_eq!(code("we`ird"), "`` we`ird ``");
}

#[test]
fn a_fence_is_longer_than_any_backticks_inside() {
    assert!(fenced("plain").starts_with("```text\n"));
    assert!(fenced("has ``` inside").starts_with("````text\n"));
}

#[test]
fn summaries_are_escaped_html() {
    assert_eq!(html("a<b>&c"), "a&lt;b&gt;&amp;c");
}
