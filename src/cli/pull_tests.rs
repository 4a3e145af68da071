use super::*;

#[test]
fn a_modeline_names_the_schema_relative_to_its_file() {
    let at = |file: &str, schema: &str| relative(Path::new(file), Path::new(schema));
    let schema = "/p/schema/manifest.schema.json";
    let up = |n: usize| "../".repeat(n) + "schema/manifest.schema.json";
    assert_eq!(at("/p/manifests/tenant.toml", schema), up(1));
    assert_eq!(at("/p/manifests/tenant/m.toml", schema), up(2));
    assert_eq!(at("/p/db/manifests/public.yaml", schema), up(2));
    assert_eq!(
        at("/elsewhere/public.yaml", schema),
        "../p/schema/manifest.schema.json"
    );
}
