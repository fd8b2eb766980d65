using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace OnloadTools.Tests.Solarflare;

/// <summary>
/// A runspace with a host that records what cmdlets write to the console (-WhatIf's "What if:" lines go there,
/// not to a stream), with the built module imported.
/// </summary>
public sealed class CapturingEngine : IDisposable
{
    private readonly RecordingHost _host = new();
    private readonly PowerShellEngine _engine;

    public CapturingEngine()
    {
        _engine = new PowerShellEngine(_host);
    }

    public string HostOutput => _host.Ui.Text.ToString();

    public PowerShellEngine.Result Run(string script) => _engine.Run(script);

    public void Dispose() => _engine.Dispose();

    private sealed class RecordingHost : PSHost
    {
        public RecordingUi Ui { get; } = new();
        public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
        public override Guid InstanceId { get; } = Guid.NewGuid();
        public override string Name => "OnloadToolsTestHost";
        public override PSHostUserInterface UI => Ui;
        public override Version Version => new(1, 0);
        public override void EnterNestedPrompt() => throw new NotSupportedException();
        public override void ExitNestedPrompt() => throw new NotSupportedException();
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
        public override void SetShouldExit(int exitCode) { }
    }

    private sealed class RecordingUi : PSHostUserInterface
    {
        public StringBuilder Text { get; } = new();
        public override PSHostRawUserInterface? RawUI => null;
        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) => throw new NotSupportedException();
        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice) => throw new NotSupportedException("no prompts in tests");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException();
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException();
        public override string ReadLine() => "";
        public override SecureString ReadLineAsSecureString() => new();
        public override void Write(string value) { lock (Text) Text.Append(value); }
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Write(value);
        public override void WriteLine(string value) => Write(value + "\n");
        public override void WriteDebugLine(string message) { }
        public override void WriteErrorLine(string value) { }
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
        public override void WriteVerboseLine(string message) { }
        public override void WriteWarningLine(string message) { }
    }
}
