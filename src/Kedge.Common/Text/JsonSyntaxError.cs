namespace Kedge.Common.Text;

/// <summary>
/// System.Text.Json's syntax error in kedge's words: the reason alone, without its position suffix (kedge names the
/// file, line and column itself) and without its advice to API callers ("Change the reader options"), which means
/// nothing to someone editing a configuration file. Infrastructure shared by the kedge products.
/// </summary>
public static class JsonSyntaxError
{
    /// <summary>The reason of a <see cref="System.Text.Json.JsonException"/> message, for example <c>'}' is invalid after a property name</c>.</summary>
    /// <param name="message">The exception's message.</param>
    /// <returns>The reason, without a trailing period.</returns>
    public static string Reason(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var reason = message;
        var position = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (position >= 0)
        {
            reason = reason[..position];
        }

        return reason.Replace(" Change the reader options.", string.Empty, StringComparison.Ordinal).Trim().TrimEnd('.', ' ');
    }
}
