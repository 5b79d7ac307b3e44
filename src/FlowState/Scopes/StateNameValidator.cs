using System.Text;

namespace FlowState;

/// <summary>
/// Checks keys and scope names against the naming rules: non-empty, at most
/// <see cref="MaxUtf8Bytes"/> UTF-8 bytes, no control characters, well-formed UTF-16.
/// </summary>
internal static class StateNameValidator
{
    public const int MaxUtf8Bytes = 1024;

    public static void ValidateKey(string? key, string parameterName = "key") => Validate(key, "key", parameterName);

    public static void ValidateScopeName(string? name, string parameterName) => Validate(name, "scope name", parameterName);

    /// <summary>Returns null when the key is valid, otherwise the problem.</summary>
    public static string? FindProblem(string? value, string what)
    {
        if (value is null)
        {
            return $"The {what} is null; use a non-empty string.";
        }

        if (value.Length == 0)
        {
            return $"The {what} is empty; use a non-empty string.";
        }

        if (value.Length > MaxUtf8Bytes)
        {
            // Each UTF-16 code unit is at least one UTF-8 byte, so this is over the limit without counting.
            return $"The {what} is {Encoding.UTF8.GetByteCount(value)} UTF-8 bytes long; at most {MaxUtf8Bytes} are allowed.";
        }

        var bytes = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < 0x80)
            {
                if (c < 0x20 || c == 0x7F)
                {
                    return $"The {what} contains the control character U+{(int)c:X4} at index {i}; control characters are not allowed.";
                }

                bytes += 1;
            }
            else if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return $"The {what} contains a lone high surrogate U+{(int)c:X4} at index {i}; it must be well-formed UTF-16.";
                }

                bytes += 4;
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return $"The {what} contains a lone low surrogate U+{(int)c:X4} at index {i}; it must be well-formed UTF-16.";
            }
            else
            {
                if (c >= 0x80 && c <= 0x9F)
                {
                    return $"The {what} contains the control character U+{(int)c:X4} at index {i}; control characters are not allowed.";
                }

                bytes += c < 0x800 ? 2 : 3;
            }
        }

        return bytes > MaxUtf8Bytes
            ? $"The {what} is {bytes} UTF-8 bytes long; at most {MaxUtf8Bytes} are allowed."
            : null;
    }

    private static void Validate(string? value, string what, string parameterName)
    {
        var problem = FindProblem(value, what);
        if (problem is not null)
        {
            throw new ArgumentException(problem, parameterName);
        }
    }
}
