namespace Kedge.Client.Tokens;

/// <summary>
/// A call to kedge was not sent because a token source could not give a token (nothing reached the network). The
/// source's failure is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class KedgeTokenSourceException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="tokenSourceName">The name of the token source that failed.</param>
    /// <param name="message">What failed, for whom.</param>
    /// <param name="innerException">The token source's failure.</param>
    public KedgeTokenSourceException(string tokenSourceName, string message, Exception? innerException)
        : base(message, innerException)
    {
        TokenSourceName = tokenSourceName;
    }

    /// <summary>The name of the token source that failed (as configured under <c>TokenSources</c>, or winch's auth source name).</summary>
    public string TokenSourceName { get; }
}
