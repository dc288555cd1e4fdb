//! Host bindings for the Spin interfaces in `wit/` (pg4, variables, key-value).

wasmtime::component::bindgen!({
    path: "wit",
    world: "devhost:platform/spin-imports",
    imports: { default: async | trappable },
    with: {
        "spin:postgres/postgres.connection": crate::pg::PgConnection,
        "fermyon:spin/key-value.store": crate::kv::OpenStore,
    },
});

pub use fermyon::spin::key_value;
pub use fermyon::spin::variables;
pub use spin::postgres::postgres as pg4;
