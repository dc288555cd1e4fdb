// The one place a view keeps its state: a store with named actions, after the vanilla-JS
// TodoMVC examples. Views render from the state (`render(state)`), event handlers and
// effects `dispatch` actions, and nothing else changes the state.
//
//   const store = createStore(initialState, {
//     nickname: (state, text) => ({ ...state, nickname: text }),
//   });
//   store.subscribe((state, previous) => render(state, previous));
//   store.dispatch("nickname", "Ana");
//
// Each action is a pure function (state, payload) → next state; returning the same state
// object means "nothing changed" and notifies nobody. Listeners get the new and the previous
// state, so a render can skip the parts whose slice is the same object as before.

export function createStore(initial, actions) {
  let state = initial;
  const listeners = new Set();
  return {
    /** The current state; treat it as read-only. */
    get state() {
      return state;
    },
    /** Runs the action `type` with `payload` and notifies the listeners if the state changed. */
    dispatch(type, payload) {
      const action = actions[type];
      if (!action) throw new Error(`unknown action ${type}`);
      const previous = state;
      const next = action(state, payload);
      if (next === previous) return;
      state = next;
      for (const listener of listeners) listener(state, previous, type);
    },
    /** Calls `listener(state, previous, type)` after every change; returns the unsubscribe. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
