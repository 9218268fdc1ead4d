# `sam build` runs the target named after the function (template.yaml: Metadata BuildMethod makefile)
# in a copy of the project, with ARTIFACTS_DIR set to where the function's code must end up.

.PHONY: build-RelayFunction
build-RelayFunction:
	npm run build:lambda
	cp -R lambda-package/. "$(ARTIFACTS_DIR)"
