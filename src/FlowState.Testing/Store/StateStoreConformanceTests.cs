namespace FlowState.Testing;

/// <summary>
/// The behaviour every FlowState store must have, whatever backend is under it. A backend's test project derives
/// from this class and implements <see cref="ConformanceTestBase.CreateStore"/>; xunit runs every test here against
/// it. Run it twice on a durable backend: once as is, and once with <see cref="StateStoreOptions.MaxEntries"/> set
/// low (e.g. 2), so that nearly every value a test reads was paged out and comes back through the backend. Durability
/// has its own suite (<see cref="DurableStateStoreConformanceTests"/>).
/// </summary>
public abstract partial class StateStoreConformanceTests : ConformanceTestBase;
