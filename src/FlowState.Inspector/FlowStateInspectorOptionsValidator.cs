using Microsoft.Extensions.Options;

namespace FlowState.Inspector;

/// <summary>Refuses options that would serve an unsafe or unusable inspector; checked at startup.</summary>
internal sealed class FlowStateInspectorOptionsValidator : IValidateOptions<FlowStateInspectorOptions>
{
    public ValidateOptionsResult Validate(string? name, FlowStateInspectorOptions options)
    {
        var failures = new List<string>();
        if (options.AllowWrites && string.IsNullOrEmpty(options.AccessToken))
        {
            failures.Add("FlowStateInspectorOptions.AllowWrites needs an AccessToken: writes must carry it in a header, so that a page of another site cannot forge them.");
        }

        if (options.DefaultPageSize < 1 || options.MaxPageSize < options.DefaultPageSize)
        {
            failures.Add($"FlowStateInspectorOptions: DefaultPageSize ({options.DefaultPageSize}) must be at least 1 and at most MaxPageSize ({options.MaxPageSize}).");
        }

        if (options.InlineValueLimit < 1)
        {
            failures.Add($"FlowStateInspectorOptions.InlineValueLimit must be at least 1 byte, not {options.InlineValueLimit}.");
        }

        if (options.LivePollInterval <= TimeSpan.Zero)
        {
            failures.Add($"FlowStateInspectorOptions.LivePollInterval must be positive, not {options.LivePollInterval}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
