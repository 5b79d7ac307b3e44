namespace FlowState.Benchmarks.Flows;

/// <summary>Who reads a benchmarked run's events: nobody, a watcher in the process, or a follower of the change feed.</summary>
internal enum FlowObserver
{
    None,
    Watcher,
    Follower,
}
