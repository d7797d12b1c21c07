namespace Kedge.Client.Tokens;

/// <summary>
/// A token source failed while a request to kedge was being prepared. It is an <see cref="HttpRequestException"/>, so
/// callers see the usual exception type; winch reads <see cref="SourceName"/> to name the source in its answer.
/// </summary>
internal sealed class KedgeTokenException : HttpRequestException
{
    public KedgeTokenException(string sourceName, string message, Exception innerException)
        : base(message, innerException)
    {
        SourceName = sourceName;
    }

    /// <summary>The name of the token source that failed.</summary>
    public string SourceName { get; }
}
