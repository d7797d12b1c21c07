using Kedge.Common;

namespace Kedge.Server.Forwarding;

/// <summary>An adhoc destination could not be reached or may not be reached; carries the answer to give.</summary>
internal sealed class AdhocException(KedgeErrorKind type, int httpStatus, string message) : Exception(message)
{
    public KedgeErrorKind Type { get; } = type;

    public int HttpStatus { get; } = httpStatus;
}
