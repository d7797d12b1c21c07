namespace Kedge.Client.Mapping;

/// <summary>A target could not be mapped to a kedge (for example, the target is an IP address).</summary>
public sealed class KedgeMappingException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public KedgeMappingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public KedgeMappingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with no message.</summary>
    public KedgeMappingException()
    {
    }
}
