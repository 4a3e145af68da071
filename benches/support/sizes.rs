//! The tenant counts a benchmark is asked for on its command line, in order;
//! `default` when none is. Shared by the benches (`#[path]`).

pub fn sizes(default: &[usize]) -> Vec<usize> {
    let mut sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        sizes = default.to_vec();
    }
    sizes.sort();
    sizes
}
