//! Renderers of a plan and its outcome: for people ([`text`]) and machines ([`json`]).

pub mod json;
pub mod text;
