namespace FlowState.Nats;

/// <summary>
/// The one rule for the names FlowState gives JetStream things — durable consumers, group buckets, member keys: letters,
/// digits, <c>-</c> and <c>_</c>, which every JetStream name and key-value key accepts.
/// </summary>
internal static class NatsNames
{
    public static bool IsValid(string? name) => !string.IsNullOrEmpty(name) && name.All(IsAllowed);

    /// <summary><paramref name="name"/> with every character the rule does not allow replaced by <c>-</c>.</summary>
    public static string Sanitize(string name) => new([.. name.Select(c => IsAllowed(c) ? c : '-')]);

    /// <summary>Why <paramref name="name"/> cannot name a <paramref name="what"/>.</summary>
    public static string Problem(string? name, string what) => $"'{name}' cannot name a {what}: use letters, digits, '-' and '_'.";

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
