namespace FlowState.Nats;

/// <summary>How a <see cref="NatsPipelineGroup"/> member shares a job's partitions with the other members.</summary>
public sealed class NatsPipelineGroupOptions
{
    /// <summary>
    /// The group's name: every member of one job uses the same; it names the key-value bucket
    /// <c>flowstate-group-{Group}</c> that holds members and claims (letters, digits, <c>-</c> and <c>_</c>).
    /// </summary>
    public string Group { get; set; } = string.Empty;

    /// <summary>How many partitions the job's input is split into (the same for every member); at least 1.</summary>
    public int Partitions { get; set; }

    /// <summary>
    /// This member's name, unique in the group (letters, digits, <c>-</c> and <c>_</c>); by default the host name, the
    /// process id and a random part, so a restarted process is a new member.
    /// </summary>
    public string MemberId { get; set; } = $"{NatsNames.Sanitize(Environment.MachineName)}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// How long a member may go unheard before the others take its partitions. It renews every quarter of this, and
    /// stops its own pipelines when it could not renew for half of it — before anyone may take them. Default 10 s.
    /// </summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock leases are measured with.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
