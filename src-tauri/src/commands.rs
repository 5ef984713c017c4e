//! The commands the frontend may invoke, one module per feature.

pub mod street;
