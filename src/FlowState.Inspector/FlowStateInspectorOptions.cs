using FlowState.Checkpoints;
using FlowState.Flows;

namespace FlowState.Inspector;

/// <summary>How the inspector serves a store: who may call it, whether it may write, what it hides.</summary>
public sealed class FlowStateInspectorOptions
{
    /// <summary>
    /// The token every API call must carry (<c>Authorization: Bearer …</c> or <c>X-FlowState-Token</c>), or null to
    /// leave reads to the host app's own authentication (<c>RequireAuthorization()</c> on the mapped group). Writes
    /// always need it. <c>flowstate serve</c> generates one and prints it.
    /// </summary>
    public string? AccessToken { get; set; }

    /// <summary>Whether the write actions (fork a run, edit a key, delete and prune runs) are served; off by default.</summary>
    public bool AllowWrites { get; set; }

    /// <summary>
    /// Key patterns whose values are never shown (<c>*</c> matches any run of characters, e.g. <c>*password*</c> or
    /// <c>secret:*</c>), in values, history and run state alike. Matched against the key, not the scope.
    /// </summary>
    public IList<string> RedactedKeys { get; } = [];

    /// <summary>Stream pipelines whose checkpoints the inspector lists, by pipeline name (e.g. a <see cref="DirectoryCheckpointStorage"/>).</summary>
    public IDictionary<string, ICheckpointStorage> Pipelines { get; } = new Dictionary<string, ICheckpointStorage>(StringComparer.Ordinal);

    /// <summary>
    /// The flows whose runs the inspector may resume (a stopped or failed run) or answer (an interrupted run), with
    /// writes allowed: resuming needs the flow's code, found here by the name the run records.
    /// </summary>
    public IList<Flow> Flows { get; } = [];

    /// <summary>The page size used when a call names none.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>The largest page a call may ask for.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>Values larger than this (UTF-8 bytes) are cut in listings and views, with a link to the whole value.</summary>
    public int InlineValueLimit { get; set; } = 64 * 1024;

    /// <summary>How often live views look for changes in the store.</summary>
    public TimeSpan LivePollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
