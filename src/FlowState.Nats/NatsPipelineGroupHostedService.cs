using Microsoft.Extensions.Hosting;

namespace FlowState.Nats;

/// <summary>
/// Runs a <see cref="NatsPipelineGroup"/> member for the life of a .NET host: it joins when the host starts, and when
/// the host stops it checkpoints and stops its pipelines, gives their partitions back and leaves. Register it with
/// <c>services.AddNatsPipelineGroup(…)</c> (<see cref="NatsPipelineGroupServiceCollectionExtensions"/>); resolve it
/// with the group's name as the key to read <see cref="Group"/>.
/// </summary>
public sealed class NatsPipelineGroupHostedService : BackgroundService, IAsyncDisposable
{
    /// <summary>Runs <paramref name="group"/>, and disposes it with the service.</summary>
    public NatsPipelineGroupHostedService(NatsPipelineGroup group) => Group = group ?? throw new ArgumentNullException(nameof(group));

    /// <summary>The member it runs: its id and the partitions it runs now.</summary>
    public NatsPipelineGroup Group { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Dispose();
        await Group.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Group.RunAsync(stoppingToken);
}
