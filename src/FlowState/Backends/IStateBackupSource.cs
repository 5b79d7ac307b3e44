namespace FlowState;

/// <summary>A backend that can take a consistent online backup of everything it holds (see <see cref="StateStore.BackupAsync"/>).</summary>
public interface IStateBackupSource
{
    /// <summary>
    /// Writes a consistent copy of the stored state to <paramref name="destination"/> (which must not exist) while
    /// writes go on; the copy opens with the same backend type as a store of its own.
    /// </summary>
    /// <exception cref="IOException"><paramref name="destination"/> exists.</exception>
    /// <exception cref="StateBackendException">The backup could not be written.</exception>
    ValueTask BackupAsync(string destination, CancellationToken cancellationToken);
}
