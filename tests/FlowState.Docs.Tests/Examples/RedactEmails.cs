using System.Text.Json;
using System.Text.RegularExpressions;

namespace FlowState.Docs.Tests.Examples;

/// <summary>The store guide's interceptor: replaces e-mail addresses in string values before they are stored.</summary>
public sealed partial class RedactEmails : IStateInterceptor
{
    public ValueTask OnWriteAsync(StateWriteContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Operation == StateOperationKind.Set && context.Value.Span.IndexOf((byte)'@') >= 0
            && context.GetValue<JsonElement>() is { ValueKind: JsonValueKind.String } text)
        {
            context.SetValue(Email().Replace(text.GetString()!, "(redacted)"));
        }

        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"[^@\s]+@[^@\s]+")]
    private static partial Regex Email();
}
