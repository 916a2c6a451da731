//! The pest grammar of keepalived.conf (`keepalived.pest`).

#[derive(pest_derive::Parser)]
#[grammar = "keepalived.pest"]
pub struct KeepalivedParser;
