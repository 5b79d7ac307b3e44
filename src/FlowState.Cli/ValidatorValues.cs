using System.CommandLine;
using System.CommandLine.Parsing;

namespace FlowState.Cli;

/// <summary>
/// Reading option values inside validators. System.CommandLine runs validators even when a value did not convert
/// (dotnet/command-line-api#2645), and <c>GetValue</c> then throws instead of returning: a validator that reads a
/// value that failed to convert leaves the error to the conversion's own message ("Cannot parse argument …", exit 2).
/// </summary>
internal static class ValidatorValues
{
    /// <summary>The value of <paramref name="option"/>, or false when it did not convert (its own error is reported).</summary>
    public static bool TryGetValue<T>(this SymbolResult result, Option<T> option, out T? value)
    {
        try
        {
            value = result.GetValue(option);
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }
}
