namespace Kedge.Server.Configuration.Settings;

/// <summary>Where a setting's value came from, in precedence order: the first source that gives a value wins.</summary>
internal enum KedgeSettingSource
{
    /// <summary>A Go-style flag on the command line (<c>--server_http_port=8080</c>).</summary>
    CommandLine,

    /// <summary>An environment variable in the .NET form (<c>Kedge__Server__HttpPort=8080</c>).</summary>
    Environment,

    /// <summary>The native JSON file (<c>--config</c>, or <c>./appsettings.json</c> when no config flag is given).</summary>
    NativeFile,

    /// <summary>Nothing gave a value: the default.</summary>
    Default,

    /// <summary>Set in code by a host of <c>KedgeServerApp.Build</c> (tests, embedding); the kedge command never reports it.</summary>
    Host,
}
