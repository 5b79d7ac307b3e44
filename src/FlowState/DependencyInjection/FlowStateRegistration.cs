namespace FlowState;

/// <summary>Marks a service collection that <see cref="FlowStateServiceCollectionExtensions.AddFlowState"/> has configured.</summary>
internal sealed class FlowStateRegistration;
