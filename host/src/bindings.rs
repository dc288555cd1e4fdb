//! Host bindings for the Spin interfaces in `wit/` (pg4 and variables).

wasmtime::component::bindgen!({
    path: "wit",
    world: "devhost:platform/spin-imports",
    imports: { default: async | trappable },
    with: {
        "spin:postgres/postgres.connection": crate::pg::PgConnection,
    },
});

pub use fermyon::spin::variables;
pub use spin::postgres::postgres as pg4;
