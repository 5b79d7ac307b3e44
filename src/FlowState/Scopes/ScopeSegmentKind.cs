namespace FlowState;

/// <summary>What a segment of a <see cref="StateScope"/> path is.</summary>
public enum ScopeSegmentKind
{
    /// <summary>A workflow run: <c>workflow:{id}:</c>.</summary>
    Workflow,

    /// <summary>A step of a workflow run: <c>step:{name}:</c>.</summary>
    Step,

    /// <summary>A custom namespace: <c>custom:{ns}:</c>.</summary>
    Custom,

    /// <summary>A nested scope made with <c>Scope(name)</c>: <c>{name}:</c>.</summary>
    Named,

    /// <summary>
    /// Bookkeeping of a FlowState runtime inside a scope, e.g. a flow run's progress: <c>${name}:</c>. Only the
    /// runtimes create it, so it never collides with a scope of the application.
    /// </summary>
    Runtime,
}
