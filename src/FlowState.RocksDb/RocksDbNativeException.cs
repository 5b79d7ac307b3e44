namespace FlowState.RocksDb;

/// <summary>An error RocksDB's C API reported (its message starts with the status, e.g. <c>Corruption:</c> or <c>IO error:</c>).</summary>
internal sealed class RocksDbNativeException(string message) : Exception(message);
