namespace FlowState.Conformance;

/// <summary>
/// The behaviour every FlowState store must have, whatever backend is under it. A backend's test project derives
/// from this class and implements <see cref="ConformanceTestBase.CreateStore"/>; xunit runs every test here against
/// it. Capacity eviction has its own suite (<see cref="CapacityConformanceTests"/>) and durability another
/// (<see cref="DurableStateStoreConformanceTests"/>).
/// </summary>
public abstract partial class StateStoreConformanceTests : ConformanceTestBase;
