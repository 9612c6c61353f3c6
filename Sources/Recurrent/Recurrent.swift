// The umbrella module: `import Recurrent` gives the whole library.
@_exported import RecurrentKernels
@_exported import RecurrentCore
@_exported import RecurrentData
@_exported import RecurrentNN
@_exported import RecurrentApps
