# The deployment architecture of a Disnix services, infrastructure and
# distribution model (SPEC 7.4), as JSON for nixproc-disnix-env: what
# disnix-manifest works out before it writes a manifest. The distribution is
# evaluated first, the services next (with invDistribution), each service
# gets its targets, and a package that is a function of its
# inter-dependencies is called with them.
{ servicesFile, infrastructureFile, distributionFile, pkgs, system, extraParams ? {} }:

let
  callWith = f: args: f (builtins.intersectAttrs (builtins.functionArgs f) args);

  infrastructureValue = import infrastructureFile;
  infrastructure =
    if builtins.isFunction infrastructureValue then callWith infrastructureValue extraParams else infrastructureValue;

  distribution = callWith (import distributionFile) ({ inherit infrastructure; } // extraParams);

  targetNames = builtins.attrNames infrastructure;

  # A target as a model writes it (infrastructure.test1, or invDistribution.test1) back to its name.
  nameOfTarget = serviceName: target:
    let found = builtins.filter (name: infrastructure.${name} == removeAttrs target [ "services" ]) targetNames;
    in if found == [] then throw "service '${serviceName}' is mapped to a target that is not in the infrastructure model"
       else builtins.head found;

  # [ target ... ] or { targets = [ target or { target; container; } ... ]; } as [ { target = name; container; } ].
  normalizeMapping = serviceName: mapping:
    map (entry:
      if entry ? target && builtins.isAttrs entry.target
      then { target = nameOfTarget serviceName entry.target; container = entry.container or null; }
      else { target = nameOfTarget serviceName entry; container = null; }
    ) (if builtins.isList mapping then mapping else mapping.targets or []);

  distributed = builtins.mapAttrs normalizeMapping distribution;

  invDistribution = builtins.mapAttrs (targetName: target: target // {
    services = builtins.listToAttrs (map (serviceName: { name = serviceName; value = services.${serviceName}; })
      (builtins.filter (serviceName: builtins.any (mapping: mapping.target == targetName) distributed.${serviceName})
        (builtins.attrNames distributed)));
  }) infrastructure;

  services = callWith (import servicesFile) ({ inherit system pkgs distribution invDistribution; } // extraParams);

  unknown = builtins.filter (name: !(services ? ${name})) (builtins.attrNames distribution);

  mappingsOf = name:
    let service = services.${name};
    in if service ? targets then normalizeMapping name service.targets else distributed.${name} or [];

  containerOf = name: mapping: if mapping.container != null then mapping.container else services.${name}.type;

  # What a package that takes its inter-dependencies sees of one of them.
  targetRecord = name: mapping:
    let target = infrastructure.${mapping.target};
    in removeAttrs target [ "containers" ] // {
      container = (target.containers or {}).${containerOf name mapping} or {};
    };

  interDependency = dependency:
    let
      name = dependency.name;
      records = map (targetRecord name) (mappingsOf name);
    in if records == [] then throw "service '${name}' is an inter-dependency but is not distributed to any target"
       else removeAttrs services.${name} [ "dependsOn" "connectsTo" "activatesAfter" ] // {
         targets = records;
         target = builtins.head records;
       };

  namesOf = dependencies: map (dependency: dependency.name) (builtins.attrValues dependencies);

  reserved = [ "name" "pkg" "type" "dependsOn" "connectsTo" "activatesAfter" "providesContainer" "providesContainers"
               "targets" "deployState" "requiresUniqueIdsFor" ];

  plain = value: builtins.isString value || builtins.isInt value || builtins.isBool value || builtins.isFloat value
    || builtins.isPath value;

  plainAttrs = attrs: builtins.listToAttrs (map (name: { inherit name; value = attrs.${name}; })
    (builtins.filter (name: plain attrs.${name}) (builtins.attrNames attrs)));

  providedContainers = service:
    (if service ? providesContainer
     then { ${service.providesContainer} = plainAttrs (removeAttrs service reserved); }
     else {})
    // builtins.mapAttrs (name: properties: plainAttrs properties) (service.providesContainers or {});

  # A service distributed nowhere is not built (its package is null).
  serviceData = attrName:
    let
      service = services.${attrName};
      mappings = mappingsOf attrName;
      interDependencies = (service.dependsOn or {}) // (service.connectsTo or {});
      pkg = if builtins.isFunction service.pkg then service.pkg (builtins.mapAttrs (argument: interDependency) interDependencies)
            else service.pkg;
    in {
      inherit (service) name type;
      pkg = if mappings == [] then null else "${pkg}";
      # What building the package means: every derivation its path's string context names (a generated
      # configuration carries the packages it mentions there, not among its inputs).
      derivations = if mappings == [] then [] else builtins.filter (path: builtins.match ".*[.]drv" path != null)
        (builtins.attrNames (builtins.getContext "${pkg}"));
      dependsOn = namesOf (service.dependsOn or {});
      connectsTo = namesOf (service.connectsTo or {});
      activatesAfter = namesOf (service.activatesAfter or {});
      mappings = map (mapping: { inherit (mapping) target; container = containerOf attrName mapping; }) mappings;
      providesContainers = providedContainers service;
    };

  # Disnix finds services by name; one named differently from its attribute would be found as another.
  misnamed = builtins.filter (name: (services.${name}.name or null) != name) (builtins.attrNames services);
  culprit = builtins.head misnamed;
in
if unknown != [] then throw "the distribution model maps '${builtins.head unknown}', which is not a service of the services model"
else if misnamed != [] then throw (if services.${culprit} ? name then "service '${culprit}' is named '${services.${culprit}.name}'"
                                   else "service '${culprit}' has no name attribute")
else builtins.toJSON {
  targets = builtins.mapAttrs (name: target: {
    properties = plainAttrs (target.properties or {});
    containers = builtins.mapAttrs (container: properties: plainAttrs properties) (target.containers or {});
    targetProperty = target.targetProperty or null;
  }) infrastructure;
  services = builtins.mapAttrs (name: service: serviceData name) services;
}
