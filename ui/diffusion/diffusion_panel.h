// DiffusionPanel: watch a diffusion model denoise, step by step. The main view shows the step
// large (x_t, the predicted noise ε̂, the predicted clean x̂0, the forward process's x_t of an
// image at the same t), a slider over every computed step, the noise schedule and both endings
// of a branch; the side panel holds the model, the sampler (DDPM / DDIM, steps, eta, seed),
// Run / Pause / Step, branching, the forward image and Reconstruct, and the exports.
// A thin shell: DiffusionController owns the session, its jobs and state; the pages show it.
#pragma once

#include <QWidget>

class DiffusionController;
class DiffusionSettingsPage;
class DiffusionStepsView;
class EngineBridge;
class FeatureLayout;
class ModelPicker;

class DiffusionPanel : public QWidget {
    Q_OBJECT
public:
    explicit DiffusionPanel(EngineBridge *bridge, QWidget *parent = nullptr);

    DiffusionController *controller() const { return m_controller; }
    ModelPicker *modelPicker() const;

public Q_SLOTS:
    // The forward process's image (the gallery's current item); empty: none. Decoded now when the
    // panel is shown, else when it is.
    void showFile(const QString &path);

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override; // a dropped file becomes the forward image

private:
    DiffusionController *m_controller;
    FeatureLayout *m_layout;
    DiffusionStepsView *m_steps;
    DiffusionSettingsPage *m_settings;
};
