namespace FlowState.Flows;

/// <summary>
/// When a run's steps are made durable (LangGraph's <c>durability</c> of a run): each before the next step starts,
/// written behind while the run goes on, or all at the run's end. A step's writes, progress and history commit as one
/// batch, so what reaches the backend is always a whole number of steps, in order.
/// </summary>
public enum FlowRunDurability
{
    /// <summary>
    /// Each step's commit is durable, at the store's <see cref="StateStoreOptions.Durability"/>, before the next step
    /// starts: a crash loses no committed step, and a resumed run redoes at most the step that was running.
    /// </summary>
    Sync,

    /// <summary>
    /// Each step commits in memory (other readers see it at once) and its backend write happens behind, while the next
    /// step runs; the run's end — completed, interrupted, failed or cancelled — waits until every step is durable.
    /// Faster when steps are short; a crash loses the steps still behind, which a resumed run runs again (their posts
    /// included). On a shared store every commit is a round trip to the server, so this is the same as
    /// <see cref="Sync"/>.
    /// </summary>
    Async,

    /// <summary>
    /// The run's start is durable; its steps commit in memory only (other readers see them) and reach the backend in
    /// one batch when the run ends — completed, interrupted, failed or cancelled — holding each key's state at that
    /// moment. The fewest writes; a crash loses every step since the start (or since the run last ended, when resumed),
    /// which a resumed run runs again. Runs as <see cref="Sync"/> on a store without a backend, on one whose bound pages
    /// values out (a value only memory holds cannot be paged out), and on a shared store.
    /// </summary>
    Exit,
}
