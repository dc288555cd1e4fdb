//! The parts of the benchmark that the end-to-end tests run too: the load generator's core
//! and the rush on replicas behind nginx with a killed replica (tests/tests/replicas.rs runs
//! it test-sized). The benchmark binary itself is `main.rs`.

pub mod load;
pub mod replicas;
