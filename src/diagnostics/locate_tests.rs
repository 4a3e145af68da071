use super::*;

const YAML: &str = "scope: tenant\ncollections:\n  - name: messages\n    indexes:\n      - name: a\n        keys: { x: 1 }\n      - keys:\n          y: 1\n        unique: true\n";

#[test]
fn yaml_paths_have_their_lines() {
    let l = Locations::of_yaml(YAML);
    assert_eq!(l.find("scope").unwrap().line, 1);
    assert_eq!(l.find("collections[0]").unwrap().line, 3);
    assert_eq!(l.find("collections[0].name").unwrap().line, 3);
    assert_eq!(l.find("collections[0].indexes[0].keys.x").unwrap().line, 6);
    assert_eq!(l.find("collections[0].indexes[1]").unwrap().line, 7);
    assert_eq!(l.find("collections[0].indexes[1].keys.y").unwrap().line, 8);
    assert_eq!(l.find("collections[0].indexes[1].unique").unwrap().line, 9);
    // An unknown path falls back to its nearest known ancestor.
    assert_eq!(l.find("collections[0].indexes[1].nothing").unwrap().line, 7);
}

#[test]
fn toml_paths_have_their_lines() {
    let src = "scope = \"tenant\"\n\n[[collections]]\nname = \"messages\"\n\n[[collections.indexes]]\nname = \"a\"\nkeys = { x = 1, \"b.c\" = -1 }\n\n[[collections.indexes]]\nkeys = { y = 1 }\nunique = true\n";
    let l = Locations::of_toml(src);
    assert_eq!(l.find("scope").unwrap().line, 1);
    assert_eq!(l.find("collections[0].name").unwrap().line, 4);
    assert_eq!(
        l.find("collections[0].indexes[0].keys.b.c").unwrap().line,
        8
    );
    assert_eq!(l.find("collections[0].indexes[1].unique").unwrap().line, 12);
}

#[test]
fn line_index_maps_offsets() {
    let idx = LineIndex::new("ab\ncd\n");
    assert_eq!(idx.position(0), Position { line: 1, column: 1 });
    assert_eq!(idx.position(4), Position { line: 2, column: 2 });
    let idx = LineIndex::new("é: 1\n");
    assert_eq!(idx.position(4), Position { line: 1, column: 4 });
}

#[test]
fn yaml_and_toml_columns_count_from_one() {
    let l = Locations::of_yaml("scope: tenant\ncollections:\n  - name: m\n");
    assert_eq!(l.find("scope"), Some(Position { line: 1, column: 1 }));
    assert_eq!(
        l.find("collections[0].name"),
        Some(Position { line: 3, column: 5 })
    );
    let l = Locations::of_toml("scope = \"tenant\"\n  drop = \"keep\"\n");
    assert_eq!(l.find("scope"), Some(Position { line: 1, column: 1 }));
    assert_eq!(l.find("drop"), Some(Position { line: 2, column: 3 }));
}
