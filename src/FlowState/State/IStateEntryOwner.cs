namespace FlowState;

/// <summary>
/// What an entry of a store's tree belongs to: the engine's node of its scope. The state types see only its scope, so
/// that they do not depend on the engine (the engine reads the node back with <c>StateEntryNode.Node</c>).
/// </summary>
internal interface IStateEntryOwner
{
    StateScope Scope { get; }
}
