using System.Management.Automation;
using OnloadTools.Latency;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

// Invoke-LatencyComparison's display: what the experiment (ComparisonExperimentRunner) says, written to the cmdlet's
// streams on the pipeline thread. The cmdlet's parameters and the experiment's preparation are in InvokeLatencyComparisonCommand.cs.
public sealed partial class InvokeLatencyComparisonCommand
{
    /// <summary>The experiment's view of this cmdlet: its streams, on the pipeline thread.</summary>
    private sealed class ExperimentHost : IComparisonHost
    {
        private readonly InvokeLatencyComparisonCommand _c;
        private readonly Dictionary<ComparisonArm, ScriptBlock> _prepare;

        public ExperimentHost(InvokeLatencyComparisonCommand cmdlet, Dictionary<ComparisonArm, ScriptBlock> prepare)
        {
            _c = cmdlet;
            _prepare = prepare;
        }

        public T Await<T>(Task<T> task, Action? tick) => _c.Await(task, tick);
        public void Verbose(string message) => _c.WriteVerbose(message);
        public void Warning(string message) => _c.WriteWarning(message);
        public void Save(LatencyRun run, bool quiet) => _c.PersistRun(run, _c.ResolvedHistoryPath, quiet);

        public void Progress(ComparisonProgress p) =>
            _c.WriteProgress(new ProgressRecord(3, "Invoke-LatencyComparison", p.Status) { CurrentOperation = p.CurrentOperation, PercentComplete = -1, SecondsRemaining = p.SecondsRemaining });

        public void IterationFailed(LatencySession session, string test, Exception error) =>
            _c.WriteError(error is ToolTimeoutException t ? LatencyTimedOut(session.Tool, t) : LatencyError((LatencyToolException)error, test));

        public void Prepare(ComparisonArm arm)
        {
            try
            {
                foreach (var o in _prepare[arm].Invoke(arm.Label)) _c.WriteVerbose($"Prepare {arm.Label}: {o}");
            }
            catch (RuntimeException e)
            {
                _c.ThrowTerminatingError(Error(e, "ArmPrepareFailed", ErrorCategory.InvalidOperation, arm.Label));
            }
        }

        /// <summary>The verdict table by default: only the comparisons, each with its two runs one property away
        /// (Runs, a note property: over remoting it arrives as property bags of the runs); -PassThru emits the runs first.
        /// A test without a comparison (a side measured nothing) emits the runs it has.</summary>
        public void Decided(ComparisonOutcome outcome)
        {
            // A test without a comparison (a side measured nothing) has only its runs to show.
            if (_c.PassThru || outcome.Comparisons.Count == 0) foreach (var run in outcome.Runs) _c.WriteObject(run);
            foreach (LatencyComparison c in outcome.Comparisons)
            {
                var o = PSObject.AsPSObject(c);
                if (o.Properties["Runs"] is null) o.Properties.Add(new PSNoteProperty("Runs", outcome.Runs.ToArray()));
                _c.WriteObject(o);
            }
        }
    }
}
