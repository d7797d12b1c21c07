using Kedge.Winch.Commands;

return await WinchCommand.InvokeAsync(args).ConfigureAwait(false);
