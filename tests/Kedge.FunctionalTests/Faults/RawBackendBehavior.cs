namespace Kedge.FunctionalTests.Faults;

/// <summary>What a <see cref="RawBackend"/> does once it has read a whole request.</summary>
internal enum RawBackendBehavior
{
    /// <summary>Closes the connection (FIN) without a byte of answer, after the configured delay.</summary>
    ReadThenClose,

    /// <summary>Never answers; the connection stays open until the backend is disposed.</summary>
    Hang,

    /// <summary>
    /// Starts a 200 answer and sends 100 bytes of its body, then ends the connection: HTTP/1.1 closes it (4 KiB were
    /// declared), HTTP/2 resets it (RST) once the client has acknowledged a PING sent after the partial body.
    /// </summary>
    ResetMidBody,
}
