namespace Kedge.Server.Forwarding;

/// <summary>An adhoc destination could not be reached or may not be reached; carries the answer to give.</summary>
internal sealed class AdhocException(KedgeErrorType type, int httpStatus, string message) : Exception(message)
{
    public KedgeErrorType Type { get; } = type;

    public int HttpStatus { get; } = httpStatus;
}
