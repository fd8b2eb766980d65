using OnloadTools.HelpGen;

// HelpGen <docs/cmdlets> <out/.../en-US/OnloadTools.dll-Help.xml> [docs/about_OnloadTools.md] [--assembly OnloadTools.dll]
// Messages use MSBuild's canonical format (path: error HG001: ...) so the build shows them as errors/warnings.
return HelpGenerator.Run(args, Console.Out, Console.Error);
